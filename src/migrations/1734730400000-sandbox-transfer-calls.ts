import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The payout simulator's call log: every transfer call's parameter set under its number, whether or not the
 * call made the transfer (a SYSTEM_ERROR, a timeout before it was made, a refused payee leave no
 * sandbox_transfer row to compare the next call with). Two rows for one number = the number was sent with
 * two parameter sets (the chaos run's and the e2e storm's invariant, bench/lib/payout-invariants.ts).
 */
export class SandboxTransferCalls1734730400000 implements MigrationInterface {
  name = 'SandboxTransferCalls1734730400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE sandbox_transfer_call (
      protocol VARCHAR(8) NOT NULL,
      out_no VARCHAR(64) NOT NULL,
      params_hash CHAR(64) NOT NULL,
      calls INT NOT NULL DEFAULT 1,
      first_at DATETIME(3) NOT NULL,
      PRIMARY KEY (protocol, out_no, params_hash)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE sandbox_transfer_call');
  }
}
