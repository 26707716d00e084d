import { Logger, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { sandboxConfig } from '../../config/configuration';
import { generatePair } from '../sandbox-crypto';

/** A row of a face's key table: its `name` and string columns (PEMs, serials, secrets). */
export type SimKeyRow = Record<string, string | null>;

/**
 * A face's key table (sandbox_key, sandbox_wechat_key, sandbox_unionpay_key), written once: a key is
 * generated on first use and stored with INSERT IGNORE, then read back, so instances starting together
 * agree on the one that won. The payment side reads the same rows by SQL in sandbox mode, as a merchant
 * copies keys from the gateway's console.
 */
export class SimKeyStore {
  private readonly logger = new Logger(SimKeyStore.name);

  constructor(
    private readonly ds: DataSource,
    /** the table (a constant of the face, never user input) */
    private readonly table: string,
  ) {}

  async all(): Promise<Map<string, SimKeyRow>> {
    const rows: Array<SimKeyRow & { name: string }> = await this.ds.query(`SELECT * FROM ${this.table}`);
    return new Map(rows.map((r) => [r.name, r]));
  }

  async read(name: string): Promise<SimKeyRow | null> {
    const rows: SimKeyRow[] = await this.ds.query(`SELECT * FROM ${this.table} WHERE name = ?`, [name]);
    return rows[0] ?? null;
  }

  /** Inserts the row unless one of that name exists (the first writer wins). */
  async insert(name: string, row: SimKeyRow): Promise<void> {
    const cols = Object.keys(row);
    await this.ds.query(
      `INSERT IGNORE INTO ${this.table} (name, ${cols.join(', ')}) VALUES (?${', ?'.repeat(cols.length)})`,
      [name, ...cols.map((c) => row[c])],
    );
  }

  /** The row `name`, made by `make` and stored if there is none yet. */
  async ensure(name: string, make: () => SimKeyRow): Promise<SimKeyRow> {
    const existing = await this.read(name);
    if (existing) return existing;
    await this.insert(name, make());
    const stored = await this.read(name);
    if (!stored) throw new Error(`${this.table}.${name} vanished`);
    this.logger.log(`${this.table} '${name}' ready`);
    return stored;
  }
}

/** A fresh RSA pair as key-table columns. */
export function pairRow(): SimKeyRow {
  const p = generatePair();
  return { private_pem: p.privatePem, public_pem: p.publicPem };
}

/**
 * A face's key service, written once: its key set `K` is made (or read) by `load` over the face's table on
 * first use — at start when the sandbox is on, nothing when off — and kept for the instance's life.
 */
export abstract class SimKeys<K> implements OnModuleInit {
  protected readonly store: SimKeyStore;
  private keys?: K;

  constructor(
    ds: DataSource,
    protected readonly cfg: ConfigType<typeof sandboxConfig>,
    table: string,
  ) {
    this.store = new SimKeyStore(ds, table);
  }

  async onModuleInit(): Promise<void> {
    if (this.cfg.enabled) await this.get();
  }

  async get(): Promise<K> {
    return (this.keys ??= await this.load());
  }

  protected abstract load(): Promise<K>;
}
