import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '../common/errors';
import { duplicateKeyName, isDuplicateKey } from '../common/database/db-errors';
import { ReplicaReads } from '../common/database/replica-reads';
import { CreateProductDto, ProductResponse } from './dto/create-product.dto';
import { Product } from './entities/product.entity';
import { ProductRepository } from './product.repository';

/**
 * The catalog and its stock (t_product through ProductRepository). Stock moves only through
 * `takeStock` / `releaseStock`, conditional UPDATEs that run inside the caller's transaction:
 * `stock >= ?` in the WHERE clause is what keeps stock from ever going negative, however many
 * buyers race.
 */
@Injectable()
export class CatalogService {
  constructor(
    private readonly products: ProductRepository,
    private readonly replica: ReplicaReads,
  ) {}

  /** @throws DomainError SKU_TAKEN when a product has this SKU already. */
  async create(dto: CreateProductDto): Promise<Product> {
    try {
      const id = await this.products.insert(null, {
        sku: dto.sku,
        name: dto.name,
        price: dto.price,
        stock: dto.stock,
        now: new Date(),
      });
      return (await this.get(id))!;
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
  list(): Promise<Product[]> {
    return this.replica.run((m) => this.products.list(m));
  }

  get(id: number): Promise<Product | null> {
    return this.products.findById(null, id);
  }

  async getOrThrow(id: number): Promise<Product> {
    const p = await this.get(id);
    if (!p) throw new DomainError(ErrorCode.NOT_FOUND, `Product ${id} not found`, { productId: id });
    return p;
  }

  /** The products of an order by id (prices are read here, never taken from the client). */
  findByIds(manager: EntityManager, ids: number[]): Promise<Map<number, Product>> {
    return this.products.findByIds(manager, ids);
  }

  /**
   * Takes `quantity` units if that many are left; false otherwise (nothing changed). Callers take
   * stock for several products in ascending id order so that concurrent orders lock rows in one
   * order and cannot deadlock.
   */
  takeStock(manager: EntityManager, productId: number, quantity: number): Promise<boolean> {
    return this.products.takeStock(manager, productId, quantity);
  }

  /** Gives units back (cancel / expiry), in the caller's transaction. */
  releaseStock(manager: EntityManager, productId: number, quantity: number): Promise<void> {
    return this.products.releaseStock(manager, productId, quantity);
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
