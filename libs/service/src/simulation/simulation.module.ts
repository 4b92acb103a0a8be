// Simulated time: PUT /v1/simulation/clock moves the clock and drives the process managers.
import { Module } from '@nestjs/common';
import { ProcessModule } from '../process/process.module';
import { SimulationController } from './simulation.controller';

@Module({ imports: [ProcessModule], controllers: [SimulationController] })
export class SimulationModule {}
