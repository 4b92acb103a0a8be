// The answers of POST /v1/events as the OpenAPI document names them (what a producer's client is
// typed from): one result per event, in order, in every content mode.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class EventErrorDto {
  @ApiProperty({
    example: 'data.durationMs',
    description: 'the field at fault: an envelope field, data.<field>, a header (ce-id), or $ (the event)',
  })
  field!: string;
  @ApiProperty() message!: string;
  @ApiPropertyOptional({ example: 'conflict', description: "conflict, unrecordable, or the ledger's refusal (account_not_found, ...)" })
  code?: string;
}

export class EventResultDto {
  @ApiPropertyOptional({ description: "the event's id, once it passed its own rule" }) id?: string;
  @ApiPropertyOptional({ description: "the event's source, once it passed its own rule" }) source?: string;
  @ApiProperty({ enum: ['accepted', 'duplicate', 'rejected'] }) status!: 'accepted' | 'duplicate' | 'rejected';
  @ApiPropertyOptional({ type: [EventErrorDto], description: 'why it was rejected' }) errors?: EventErrorDto[];
}

export class EventsAnsweredDto {
  @ApiProperty({ type: [EventResultDto], description: 'one per event, in the order they were sent' }) results!: EventResultDto[];
}

export class RejectedEventDto extends EventResultDto {
  @ApiProperty({ description: "the event's place in the request (0 for a request of one event)" }) index!: number;
}

export class EventsRejectedDto {
  @ApiProperty({ enum: ['invalid_events', 'conflict'], description: 'conflict when every rejected event is a conflict' }) error!: string;
  @ApiProperty({ example: '1 of 3 events rejected; the others were recorded' }) message!: string;
  @ApiProperty({ type: [RejectedEventDto] }) details!: RejectedEventDto[];
  @ApiProperty({ type: [EventResultDto], description: 'one per event: the others were recorded' }) results!: EventResultDto[];
}
