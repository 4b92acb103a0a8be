import { IsInstant } from '../kit/is-instant';
// PUT /v1/simulation/clock: moves simulated time and answers once every expiry, period end,
// renewal and invoice due by then is recorded. Only in simulation mode.
import { Body, Controller, Get, Inject, Put } from '@nestjs/common';
import { ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import { toInstant } from '@ledger/domain';
import { CLOCK, Clock, SimulatedClock } from '../kit/clock';
import { ApiError } from '../kit/http-errors';
import { ClockRunner } from '../process/clock-runner';
import { ApiFailures } from '../kit/openapi-answers';

export class ClockDto {
  @ApiProperty({ example: '2026-02-01T00:00:00.000Z' }) @IsInstant() now!: string;
}

@ApiTags('simulation')
@Controller('v1/simulation/clock')
export class SimulationController {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly runner: ClockRunner,
  ) {}

  @Get()
  now() {
    return { now: this.clock.now() };
  }

  @Put()
  @ApiResponse({ status: 200, description: 'the clock moved; everything due by then is recorded' })
  @ApiFailures('simulation_off', 'clock_backwards')
  async set(@Body() body: ClockDto) {
    if (!(this.clock instanceof SimulatedClock))
      throw new ApiError(403, 'simulation_off', 'simulation mode is off (set LEDGER_SIMULATION=true, never in production)');
    const to = toInstant(body.now);
    if (to < this.clock.now())
      throw new ApiError(409, 'clock_backwards', `the clock is at ${this.clock.now()} and cannot move back to ${to}`, [
        { field: 'now', message: 'before the current simulated time' },
      ]);
    this.clock.set(to);
    await this.runner.advance(to);
    return { now: to };
  }
}
