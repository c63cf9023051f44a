/**
 * A small inline bar for a number in a table row. Decorative (aria-hidden): the row always shows
 * the number as text too. Signed extents put zero inside the bar, so negative values point left.
 */

export const POSITIVE = '#b2182b'; // the red end of the map's scale
export const NEGATIVE = '#2166ac'; // the blue end
export const NEUTRAL = '#2f5bd3';

export function ValueBar({
  value,
  extent,
  width = 96,
  height = 10,
  color,
}: {
  value: number;
  /** [lo, hi] with lo <= 0 <= hi. */
  extent: [number, number];
  width?: number;
  height?: number;
  /** Fill; by default red for positive values, blue for negative. */
  color?: string;
}) {
  const [lo, hi] = extent;
  const span = hi - lo || 1;
  const zero = (-lo / span) * width;
  const v = Number.isFinite(value) ? Math.max(lo, Math.min(hi, value)) : 0;
  const x = (v / span) * width;
  return (
    <svg
      className="kn-bar"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      aria-hidden="true"
    >
      <rect width={width} height={height} fill="#eef0f4" />
      <rect
        x={Math.min(zero, zero + x)}
        width={Math.abs(x)}
        height={height}
        fill={color ?? (value < 0 ? NEGATIVE : POSITIVE)}
      />
      {lo < 0 && <line x1={zero} x2={zero} y1={0} y2={height} stroke="#1d2330" strokeWidth={1} />}
    </svg>
  );
}

/** [lo, hi] for bars of these values: from 0 to the largest, or symmetric when any is negative. */
export function barExtent(values: readonly number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  const hi = Math.max(0, ...finite);
  const lo = Math.min(0, ...finite);
  if (lo < 0) {
    const m = Math.max(hi, -lo);
    return [-m, m];
  }
  return [0, hi];
}
