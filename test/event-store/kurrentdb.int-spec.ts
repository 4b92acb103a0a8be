import { KurrentDbEventStore } from '@ledger/event-store';
import { describeEventStoreConformance } from './conformance';

// Needs a KurrentDB 25.1+ server: KURRENTDB_URL, e.g. kurrentdb://localhost:2113?tls=false.
const url = process.env.KURRENTDB_URL;

describeEventStoreConformance(
  'KurrentDB',
  url
    ? async () => {
        const store = KurrentDbEventStore.connect(url);
        const restart = async () => {
          await store.close();
          return KurrentDbEventStore.connect(url);
        };
        return { store, restart };
      }
    : 'no KurrentDB server reachable (KURRENTDB_URL not set)',
);
