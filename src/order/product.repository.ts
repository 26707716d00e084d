import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Product } from './entities/product.entity';

const PRODUCT_COLUMNS = 'id, sku, name, price, stock, version, created_at, updated_at';

export interface NewProductRow {
  sku: string;
  name: string;
  price: number;
  stock: number;
  now: Date;
}

/**
 * t_product with purpose-named queries in plain SQL, as OrderRepository. Every method takes the
 * caller's manager first (null: no transaction); the catalog list's caller passes a replica's.
 * Stock moves only through `takeStock` / `releaseStock`, relative UPDATEs: `stock >= ?` in the WHERE
 * clause is what keeps stock from ever going negative, however many buyers race.
 */
@Injectable()
export class ProductRepository {
  constructor(private readonly dataSource: DataSource) {}

  private m(manager: EntityManager | null): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  /** Inserts the product; throws ER_DUP_ENTRY on uq_product_sku. Returns its id. */
  async insert(manager: EntityManager | null, p: NewProductRow): Promise<number> {
    const res = await this.m(manager).query(
      `INSERT INTO t_product (sku, name, price, stock, version, created_at, updated_at)
         VALUES (?, ?, ?, ?, 0, ?, ?)`,
      [p.sku, p.name, p.price, p.stock, p.now, p.now],
    );
    return Number(res.insertId);
  }

  /** The whole catalog by id, at most 1,000 rows. */
  async list(manager: EntityManager | null): Promise<Product[]> {
    const rows = await this.m(manager).query(
      `SELECT ${PRODUCT_COLUMNS} FROM t_product ORDER BY id LIMIT 1000`,
      [],
    );
    return (rows as Record<string, unknown>[]).map(mapProduct);
  }

  async findById(manager: EntityManager | null, id: number): Promise<Product | null> {
    const rows = await this.m(manager).query(`SELECT ${PRODUCT_COLUMNS} FROM t_product WHERE id = ?`, [id]);
    return rows.length ? mapProduct(rows[0]) : null;
  }

  /** The products with these ids, by id (missing ids are absent from the map). */
  async findByIds(manager: EntityManager | null, ids: number[]): Promise<Map<number, Product>> {
    const found = new Map<number, Product>();
    if (!ids.length) return found;
    const rows = await this.m(manager).query(
      `SELECT ${PRODUCT_COLUMNS} FROM t_product WHERE id IN (${ids.map(() => '?').join(', ')})`,
      ids,
    );
    for (const r of rows as Record<string, unknown>[]) {
      const p = mapProduct(r);
      found.set(p.id, p);
    }
    return found;
  }

  /** Takes `quantity` units if that many are left: true iff the row changed. */
  async takeStock(manager: EntityManager, productId: number, quantity: number): Promise<boolean> {
    const res = await manager.query(
      `UPDATE t_product SET stock = stock - ?, version = version + 1, updated_at = ?
       WHERE id = ? AND stock >= ?`,
      [quantity, new Date(), productId, quantity],
    );
    return Number(res.affectedRows) === 1;
  }

  /** Gives `quantity` units back. */
  async releaseStock(manager: EntityManager, productId: number, quantity: number): Promise<void> {
    await manager.query(
      `UPDATE t_product SET stock = stock + ?, version = version + 1, updated_at = ? WHERE id = ?`,
      [quantity, new Date(), productId],
    );
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
