import { Injectable } from '@nestjs/common';
import { AuthUser } from '../../common/auth/auth.decorators';
import { DomainError, ErrorCode } from '../../common/errors';
import { AnomalyPage, AnomalyResponse, ListAnomaliesQuery } from '../dto/anomaly.dto';
import { AnomalyRepository, AnomalyView } from './anomaly.repository';

const ID = /^[1-9][0-9]{0,18}$/;

/** The admin side of anomalies: the list an operator works from, and their RESOLVED decision. */
@Injectable()
export class AnomalyService {
  constructor(private readonly repo: AnomalyRepository) {}

  async list(q: ListAnomaliesQuery): Promise<AnomalyPage> {
    const limit = q.limit ?? 50;
    const rows = await this.repo.list(null, {
      status: q.status,
      kind: q.kind,
      paymentNo: q.paymentNo,
      before: q.cursor,
      limit: limit + 1,
    });
    const items = rows.slice(0, limit).map(toJson);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }

  async get(id: string): Promise<AnomalyResponse> {
    const a = ID.test(id) ? await this.repo.find(null, id) : null;
    if (!a) throw new DomainError(ErrorCode.NOT_FOUND, `Anomaly ${id} not found`);
    return toJson(a);
  }

  /**
   * OPEN → RESOLVED with the operator's note. Resolving a RESOLVED one answers it as it is (the
   * transition happened); an AUTO_REFUNDED one, or one whose automatic refund is still under way, is
   * 409 ANOMALY_NOT_OPEN (the money is going back by itself).
   */
  async resolve(admin: AuthUser, id: string, note: string): Promise<AnomalyResponse> {
    const a = ID.test(id) ? await this.repo.find(null, id) : null;
    if (!a) throw new DomainError(ErrorCode.NOT_FOUND, `Anomaly ${id} not found`);
    if (a.status === 'OPEN' && a.refundStatus === 'PENDING') {
      throw new DomainError(ErrorCode.ANOMALY_NOT_OPEN, 'Its automatic refund is still under way', {
        id,
        status: a.status,
        refundNo: a.refundNo,
        refundStatus: a.refundStatus,
      });
    }
    if (a.status === 'OPEN') await this.repo.resolve(null, id, admin.userId, note);
    const now = (await this.repo.find(null, id))!;
    if (now.status === 'RESOLVED') return toJson(now);
    throw new DomainError(ErrorCode.ANOMALY_NOT_OPEN, `This anomaly is already ${now.status}`, {
      id,
      status: now.status,
      refundNo: now.refundNo,
    });
  }
}

function toJson(a: AnomalyView): AnomalyResponse {
  let detail: unknown = a.detail;
  try {
    detail = a.detail === null ? null : JSON.parse(a.detail);
  } catch {
    // kept as text
  }
  return {
    ...a,
    detail,
    createdAt: a.createdAt.toISOString(),
    resolvedAt: a.resolvedAt ? a.resolvedAt.toISOString() : null,
  };
}
