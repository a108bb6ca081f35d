import type { ChaosResult } from './run.ts';
import { REPLICATED, describeFault } from './faults.ts';

/** The run as text: the fault schedule, the invariants table, the client figures. */
export function renderReport(r: ChaosResult): string {
  const lines: string[] = [];
  const o = r.options;
  lines.push(`chaos round: ${o.durationMs / 1000} s, ${o.rate} checkouts/s, ${o.users} shoppers, ${Math.round(o.declinedShare * 100)} % declined cards, ${o.infra ? 'private PostgreSQL + Redis + NATS' : 'embedded stores'}, seed ${o.seed}, saga deadline ${o.sagaDeadlineMs / 1000} s, ${(o.replicas ?? 1) > 1 ? `${o.replicas} instances of ${REPLICATED.join(', ')}` : 'one instance of each service'}`);
  lines.push('', 'fault schedule:');
  for (const f of r.faults) lines.push(`  ${describeFault(f)}`);
  lines.push('', 'invariants:');
  const width = Math.max(...r.invariants.map((i) => i.name.length));
  lines.push(`  ${'invariant'.padEnd(width)}  verdict    checked  violations`);
  for (const i of r.invariants) {
    const verdict = i.violations.length === 0 ? 'holds' : 'VIOLATED';
    lines.push(`  ${i.name.padEnd(width)}  ${verdict.padEnd(9)}  ${String(i.checked).padStart(7)}  ${String(i.violations.length).padStart(10)}`);
    for (const v of i.violations.slice(0, 3)) lines.push(`      e.g. ${v}`);
    if (i.tolerated && i.tolerated.count > 0) lines.push(`      tolerated: ${i.tolerated.count} ${i.tolerated.what} (${i.tolerated.examples.join('; ')})`);
  }
  const f = r.figures;
  lines.push('', 'client figures:');
  lines.push(`  checkouts started ${f.journeys} (arrivals skipped, every shopper busy: ${f.skipped}); final answers ${f.finals}: ${f.confirmed} CONFIRMED, ${f.cancelled} CANCELLED; gave up ${f.gaveUp}`);
  lines.push(`  requests ${f.requests}: 5xx ${f.status5xx}, timeouts ${f.timeouts}, network errors ${f.networkErrors}; hedged ${f.hedges} (the second gateway answered first ${f.hedgesWon})`);
  lines.push(`  time to a final answer: p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, max ${f.maxMs} ms; over the saga deadline + 2 s: ${f.overDeadline}`);
  for (const [reason, count] of f.gaveUpReasons) lines.push(`  gave up ${count} × ${reason}`);
  // With replicas, a kill or freeze leaves another instance on the path: there is no down time to take out.
  if ((o.replicas ?? 1) === 1) lines.push(
    `  without the time the gateway itself was frozen or killed during the wait (no client gets any answer then): p99 ${f.exEdge.p99Ms} ms, max ${f.exEdge.maxMs} ms; over the saga deadline + 2 s: ${f.exEdge.overDeadline}`,
  );
  const path =
    (o.replicas ?? 1) === 1
      ? `the gateway or orders (which alone holds the order and drives its saga) was frozen or killed${o.infra ? ', or PostgreSQL (where the answer is recorded) was restarting,' : ''}`
      : 'PostgreSQL (orders\' database, where the answer is recorded and read) was restarting';
  if ((o.replicas ?? 1) === 1 || o.infra) lines.push(`  without the time ${path} during the wait: p99 ${f.exPath.p99Ms} ms, max ${f.exPath.maxMs} ms; over the saga deadline + 2 s: ${f.exPath.overDeadline}`);
  if (r.overByFault.length > 0) {
    lines.push(`  the ${f.overDeadline} over the saga deadline + 2 s, by fault active during their wait (a journey counts under each): ${r.overByFault.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
  if (r.slowest.length > 0) {
    lines.push('', 'slowest journeys (start = seconds into the load; wait from the first POST /api/checkout to the first final status seen):');
    for (const j of r.slowest) {
      const accepted = j.acceptedAfterMs === undefined ? 'never accepted' : `accepted after ${j.acceptedAfterMs} ms`;
      const edge = j.waitExEdgeMs === j.waitMs ? '' : ` (${j.waitExEdgeMs} ms without the gateway's down time)`;
      lines.push(`  ${j.startS.toFixed(1).padStart(6)} s  wait ${j.waitMs} ms${edge}, ${accepted}, ${j.status}${j.orderId ? ` ${j.orderId}` : ''}`);
      lines.push(`           faults during the wait: ${j.faults.length > 0 ? j.faults.join('; ') : 'none'}`);
    }
  }
  if (r.slowestExPath.length > 0) {
    lines.push('', `over the saga deadline + 2 s even without the time ${path} (slowest first):`);
    for (const j of r.slowestExPath) {
      lines.push(`  ${j.startS.toFixed(1).padStart(6)} s  wait ${j.waitMs} ms (${j.waitExPathMs} ms without), accepted after ${j.acceptedAfterMs ?? '—'} ms, ${j.status}${j.orderId ? ` ${j.orderId}` : ''}`);
      lines.push(`           faults during the wait: ${j.faults.length > 0 ? j.faults.join('; ') : 'none'}`);
    }
  }
  lines.push('', r.ok ? 'verdict: every invariant holds' : `verdict: VIOLATED (logs kept in ${r.logDir})`);
  return lines.join('\n');
}
