import { Module } from '@nestjs/common';
import { ConsoleController } from './console.controller';

/** The operators' page at /console (over the admin REST API; it imports no other module). */
@Module({ controllers: [ConsoleController] })
export class ConsoleModule {}
