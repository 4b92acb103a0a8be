// Tamper evidence over HTTP: the log's digest for auditors to publish (GET /v1/audit/digest). The
// hashes themselves are the store's (libs/event-store chain.ts); the audit of the whole chain is a
// command (npm run audit -- --verify-chain), not a request.
import { Module } from '@nestjs/common';
import { StoreModule } from '../store/store.module';
import { AuditController } from './audit.controller';

@Module({ imports: [StoreModule], controllers: [AuditController] })
export class AuditModule {}
