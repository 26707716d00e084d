import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../common/auth/auth.decorators';
import { ErrorCode } from '../common/errors';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { AccountResponse } from './dto/account.dto';
import { LedgerEntryPageDto, ListEntriesQuery } from './dto/ledger.dto';
import { WalletService } from './wallet.service';

@ApiTags('wallet')
@ApiBearerAuth()
@Controller('account')
export class AccountController {
  constructor(private readonly wallet: WalletService) {}

  @Get()
  @ApiOperation({ summary: "The caller's wallet (reads only; empty until its first credit)" })
  @ApiOkResponse({ type: AccountResponse, description: 'the wallet balance (0 before the first credit)' })
  @ApiErrors([ErrorCode.UNAUTHORIZED, 'Missing bearer token'])
  get(@CurrentUser() user: AuthUser): Promise<AccountResponse> {
    return this.wallet.getAccount(user.userId);
  }

  @Get('entries')
  @ApiOperation({
    summary:
      "The caller's wallet entries on the ledger, newest first (every credit and debit, with the balance after it)",
  })
  @ApiOkResponse({ type: LedgerEntryPageDto, description: 'one page; `nextCursor` for the next (older) one' })
  @ApiErrors(
    [ErrorCode.VALIDATION_FAILED, 'limit outside 1–100, or a cursor that is not a nextCursor'],
    [ErrorCode.UNAUTHORIZED, 'Missing bearer token'],
  )
  entries(@CurrentUser() user: AuthUser, @Query() q: ListEntriesQuery): Promise<LedgerEntryPageDto> {
    return this.wallet.listEntries(user.userId, q);
  }
}
