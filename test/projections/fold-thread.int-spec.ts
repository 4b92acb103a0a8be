// A rebuild that parses and folds the log on a worker thread (what `npm run replay` and the
// benchmark do with a big log) makes exactly the read models of one that folds on the main thread.
import { SqlLogReader } from '@ledger/service/projections/log-reader';
import { compareReadModels, rebuildReadModels } from '@ledger/service/projections/replay';
import { differing, eachDatabase, freshSchema, syntheticStore } from './support';

eachDatabase('a rebuild folded on a worker thread', (target) => {
  it('equals one folded inline, table by table (several reads per batch, watermark carried across batches)', async () => {
    const db = await target.client();
    const schema = freshSchema();
    await syntheticStore(db, schema, 9000, 11);
    const reader = new SqlLogReader(db, schema);
    const inline = await rebuildReadModels({
      db,
      reader,
      schema: `${schema}_rm`,
      ledgerSchema: schema,
      batchSize: 2500,
      foldThread: false,
    });
    const threaded = await rebuildReadModels({
      db,
      reader,
      schema: `${schema}_rm_thread`,
      ledgerSchema: schema,
      batchSize: 2000,
      pageSize: 700,
      foldThread: true,
    });
    expect(threaded.events).toBe(inline.events);
    expect(threaded.position).toBe(inline.position);
    const c = await compareReadModels({
      db,
      reader,
      ledgerSchema: schema,
      live: `${schema}_rm`,
      rebuilt: `${schema}_rm_thread`,
      attempts: 1,
    });
    expect(differing(c)).toEqual([]);
    expect(c.identical).toBe(true);
  });
});
