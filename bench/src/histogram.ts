import { build, type Histogram } from 'hdr-histogram-js';

/** Largest value a histogram tracks: one minute, in microseconds. */
const MAX_MICROS = 60_000_000;

/** A latency histogram in microseconds (pure JS: no WebAssembly needed on Node 20). */
export function microsHistogram(): Histogram {
  return build({
    useWebAssembly: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_MICROS,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });
}

/** Records a duration measured with `process.hrtime.bigint()` (nanoseconds) as whole microseconds (at least 1). */
export function recordNanos(histogram: Histogram, nanos: bigint): void {
  const micros = Number(nanos / 1000n);
  histogram.recordValue(Math.min(MAX_MICROS, Math.max(1, micros)));
}

/** Percentiles of a microsecond histogram, in milliseconds. */
export interface MillisSummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Summarises a microsecond histogram in milliseconds (three decimals). */
export function summarizeMillis(histogram: Histogram): MillisSummary {
  const ms = (micros: number) => Math.round(micros) / 1000;
  return {
    count: histogram.totalCount,
    mean: ms(histogram.mean),
    p50: ms(histogram.getValueAtPercentile(50)),
    p90: ms(histogram.getValueAtPercentile(90)),
    p99: ms(histogram.getValueAtPercentile(99)),
    max: ms(histogram.maxValue),
  };
}
