// Charts with uPlot on a canvas: the pixels come from Numbers, every value shown as text (the
// legend, the marks, the tables beside) is the API's exact decimal string. Times on the axis in UTC.
import uPlot from 'uplot';
import { useEffect, useRef } from 'preact/hooks';

export interface ChartSeries {
  label: string;
  /** One value per x, for the pixels (null: no value there). */
  values: (number | null)[];
  /** One exact text per x, for the legend. */
  texts: (string | null)[];
  color: string;
  dash?: number[];
  stepped?: boolean;
  fill?: string;
  points?: boolean;
}

export interface ChartMark {
  /** Seconds since the epoch. */
  x: number;
  color: string;
  dash?: number[];
  label: string;
}

const utcDate = (ts: number) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC');

/** A time-series chart whose width follows its container; `marks` are vertical lines with a short label. */
export function TimeChart({
  xs,
  xTexts,
  series,
  marks = [],
  height = 260,
  label,
  testid,
  ticks = 'time',
  xLabel = 'time (UTC)',
}: {
  /** Seconds since the epoch. */
  xs: number[];
  /** One text per x (the instant in UTC) for the legend. */
  xTexts: string[];
  series: ChartSeries[];
  marks?: ChartMark[];
  height?: number;
  /** What the chart shows, for readers who cannot see it. */
  label: string;
  testid?: string;
  /** `time`: the axis picks its instants; `each`: one tick per x, named by its text (months). */
  ticks?: 'time' | 'each';
  /** The x values' name in the legend. */
  xLabel?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height,
      tzDate: utcDate,
      cursor: { focus: { prox: 16 } },
      legend: { live: true },
      scales: { y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.08 : 1] } },
      axes: [
        ticks === 'each'
          ? {
              stroke: '#444',
              grid: { stroke: '#e3e3e3' },
              splits: () => xs,
              values: (_u, ticks) => ticks.map((t) => xTexts[xs.indexOf(t)] ?? ''),
            }
          : { stroke: '#444', grid: { stroke: '#e3e3e3' } },
        { stroke: '#444', grid: { stroke: '#e3e3e3' }, size: 60, values: (_u, ticks) => ticks.map((t) => t.toLocaleString('en-US')) },
      ],
      series: [
        { label: xLabel, value: (_u, _v, _s, i) => (i === null ? '–' : xTexts[i]) },
        ...series.map<uPlot.Series>((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          dash: s.dash,
          fill: s.fill,
          points: { show: s.points ?? false, size: 6 },
          paths: s.stepped ? uPlot.paths.stepped!({ align: 1 }) : undefined,
          value: (_u, _v, _s, i) => (i === null ? '–' : (s.texts[i] ?? '–')),
        })),
      ],
      hooks: {
        draw: [
          (u) => {
            const { ctx } = u;
            const { top, height: h, left, width } = u.bbox;
            ctx.save();
            ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
            for (const m of marks) {
              const px = u.valToPos(m.x, 'x', true);
              if (px < left || px > left + width) continue;
              ctx.strokeStyle = m.color;
              ctx.fillStyle = m.color;
              ctx.lineWidth = 1.5 * devicePixelRatio;
              ctx.setLineDash((m.dash ?? [6, 4]).map((d) => d * devicePixelRatio));
              ctx.beginPath();
              ctx.moveTo(px, top);
              ctx.lineTo(px, top + h);
              ctx.stroke();
              ctx.fillText(m.label, px + 4 * devicePixelRatio, top + 12 * devicePixelRatio);
            }
            ctx.restore();
          },
        ],
      },
    };
    const data: uPlot.AlignedData = [xs, ...series.map((s) => s.values)];
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [xs, xTexts, series, marks, height, ticks, xLabel]);
  return <div class="chart" ref={box} role="img" aria-label={label} data-testid={testid} />;
}
