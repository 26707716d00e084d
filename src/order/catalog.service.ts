import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '../common/errors';
import { duplicateKeyName, isDuplicateKey } from '../common/database/db-errors';
import { CreateProductDto, ProductResponse } from './dto/create-product.dto';
import { Product } from './entities/product.entity';
import { ReplicaReads } from '../common/database/replica-reads';

const PRODUCT_COLUMNS = 'id, sku, name, price, stock, version, created_at, updated_at';

/**
 * The catalog and its stock. Stock moves only through `takeStock` / `releaseStock`, conditional
 * UPDATEs that run inside the caller's transaction: `stock >= ?` in the WHERE clause is what keeps
 * stock from ever going negative, however many buyers race.
 */
@Injectable()
export class CatalogService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly replica: ReplicaReads,
  ) {}

  async create(dto: CreateProductDto): Promise<Product> {
    const now = new Date();
    try {
      const res = await this.dataSource.query(
        `INSERT INTO t_product (sku, name, price, stock, version, created_at, updated_at)
         VALUES (?, ?, ?, ?, 0, ?, ?)`,
        [dto.sku, dto.name, dto.price, dto.stock, now, now],
      );
      return (await this.get(Number(res.insertId)))!;
    } catch (err) {
      if (isDuplicateKey(err) && duplicateKeyName(err) === 'uq_product_sku') {
        throw new DomainError(ErrorCode.SKU_TAKEN, `SKU ${dto.sku} already exists`, { sku: dto.sku });
      }
      throw err;
    }
  }

  /**
   * The whole catalog, by id (small by nature here; a real storefront would page it). From a read
   * replica when there is one: a few seconds stale at most, and it gates nothing (a submit reads
   * prices and stock on the primary, in its transaction).
   */
  async list(): Promise<Product[]> {
    const rows = await this.replica.query(`SELECT ${PRODUCT_COLUMNS} FROM t_product ORDER BY id LIMIT 1000`);
    return (rows as Record<string, unknown>[]).map(mapProduct);
  }

  async get(id: number): Promise<Product | null> {
    const rows = await this.dataSource.query(`SELECT ${PRODUCT_COLUMNS} FROM t_product WHERE id = ?`, [id]);
    return rows.length ? mapProduct(rows[0]) : null;
  }

  async getOrThrow(id: number): Promise<Product> {
    const p = await this.get(id);
    if (!p) throw new DomainError(ErrorCode.NOT_FOUND, `Product ${id} not found`, { productId: id });
    return p;
  }

  /** The products of an order by id (prices are read here, never taken from the client). */
  async findByIds(manager: EntityManager, ids: number[]): Promise<Map<number, Product>> {
    const found = new Map<number, Product>();
    if (!ids.length) return found;
    const rows = await manager.query(
      `SELECT ${PRODUCT_COLUMNS} FROM t_product WHERE id IN (${ids.map(() => '?').join(', ')})`,
      ids,
    );
    for (const r of rows as Record<string, unknown>[]) {
      const p = mapProduct(r);
      found.set(p.id, p);
    }
    return found;
  }

  /**
   * Takes `quantity` units if that many are left; false otherwise (nothing changed). Callers take
   * stock for several products in ascending id order so that concurrent orders lock rows in one
   * order and cannot deadlock.
   */
  async takeStock(manager: EntityManager, productId: number, quantity: number): Promise<boolean> {
    const res = await manager.query(
      `UPDATE t_product SET stock = stock - ?, version = version + 1, updated_at = ?
       WHERE id = ? AND stock >= ?`,
      [quantity, new Date(), productId, quantity],
    );
    return Number(res.affectedRows) === 1;
  }

  /** Gives units back (cancel / expiry), in the caller's transaction. */
  async releaseStock(manager: EntityManager, productId: number, quantity: number): Promise<void> {
    await manager.query(
      `UPDATE t_product SET stock = stock + ?, version = version + 1, updated_at = ? WHERE id = ?`,
      [quantity, new Date(), productId],
    );
  }

  toJson(p: Product): ProductResponse {
    return {
      id: p.id,
      sku: p.sku,
      name: p.name,
      price: p.price,
      stock: p.stock,
      currency: 'CNY',
      createdAt: p.createdAt.toISOString(),
    };
  }
}

function mapProduct(r: Record<string, unknown>): Product {
  const p = new Product();
  p.id = Number(r.id);
  p.sku = String(r.sku);
  p.name = String(r.name);
  p.price = Number(r.price);
  p.stock = Number(r.stock);
  p.version = Number(r.version);
  p.createdAt = r.created_at instanceof Date ? r.created_at : new Date(String(r.created_at));
  p.updatedAt = r.updated_at instanceof Date ? r.updated_at : new Date(String(r.updated_at));
  return p;
}
