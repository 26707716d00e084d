import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { Public, Roles } from '../common/auth/auth.decorators';
import { DomainError, ErrorCode } from '../common/errors';
import { ApiErrors } from './api-errors.decorator';
import { CatalogService } from './catalog.service';
import { CreateProductDto, ProductResponse } from './dto/create-product.dto';

@ApiTags('catalog')
@Controller('products')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Post()
  @HttpCode(201)
  @Roles('admin')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Create a product (admin)' })
  @ApiCreatedResponse({
    type: ProductResponse,
    description: 'the new product; its `id` is the `productId` of order lines',
  })
  @ApiErrors(
    [
      ErrorCode.VALIDATION_FAILED,
      'Request validation failed',
      { errors: ['price must be an integer number'] },
    ],
    [ErrorCode.UNAUTHORIZED, 'Missing bearer token'],
    [ErrorCode.FORBIDDEN, 'Requires role admin'],
    [ErrorCode.SKU_TAKEN, 'SKU TEA-001 already exists', { sku: 'TEA-001' }],
  )
  async create(@Body() dto: CreateProductDto): Promise<ProductResponse> {
    return this.catalog.toJson(await this.catalog.create(dto));
  }

  @Public()
  @Get()
  @ApiOperation({ summary: 'The catalog, with stock (public)' })
  @ApiOkResponse({ type: [ProductResponse], description: 'the products by id (the first 1000)' })
  async list(): Promise<ProductResponse[]> {
    return (await this.catalog.list()).map((p) => this.catalog.toJson(p));
  }

  @Public()
  @Get(':id')
  @ApiOperation({ summary: 'One product, with stock (public)' })
  @ApiParam({ name: 'id', description: 'the product `id`', schema: { type: 'integer', minimum: 1 } })
  @ApiOkResponse({ type: ProductResponse, description: 'the product, with its stock now' })
  @ApiErrors([ErrorCode.NOT_FOUND, 'Product 42 not found', { productId: 42 }])
  async get(@Param('id') id: string): Promise<ProductResponse> {
    if (!/^[1-9][0-9]{0,15}$/.test(id)) throw new DomainError(ErrorCode.NOT_FOUND, `Product ${id} not found`);
    return this.catalog.toJson(await this.catalog.getOrThrow(Number(id)));
  }
}
