// The seed's migration matrix (RECOMMENDATIONS in lib/registry.ts) as the stat panels show it:
// a colour per band, threshold steps, value mappings, and the bands in words for descriptions.

import type { ThresholdsMode, ValueMapping } from '@grafana/schema';
import { RECOMMENDATIONS } from '../lib/registry.ts';

/** Grafana colours of the matrix's bands, from "moderate benefit" to "migrate". */
export const RECOMMENDATION_COLORS = ['orange', 'yellow', 'green', 'dark-green'];

const colorOf = (band: number) => RECOMMENDATION_COLORS[band] ?? 'green';
/** The lower bound of a band: the previous band's upper bound. */
const lowerBound = (band: number) => (band === 0 ? null : (RECOMMENDATIONS[band - 1]?.below ?? null));

/** Threshold steps at the matrix's bounds: the stat turns the colour of its recommendation. */
export const recommendationThresholds = () => ({
  mode: 'absolute' as ThresholdsMode,
  steps: RECOMMENDATIONS.map((_row, i) => ({ value: lowerBound(i), color: colorOf(i) })),
});

/**
 * The matrix as value mappings: [previous bound, bound) -> its label. Grafana's range mapping
 * includes both ends, so each range stops a hair below the next bound.
 */
export const recommendationMappings = (): ValueMapping[] =>
  RECOMMENDATIONS.map((row, i) => ({
    type: 'range' as ValueMapping['type'],
    options: {
      from: lowerBound(i) ?? 0,
      to: Number.isFinite(row.below) ? row.below - 1e-9 : null,
      result: { text: row.label, color: colorOf(i), index: i },
    },
  })) as ValueMapping[];

/** A band's range in words: `< 2×`, `2–5×`, `≥ 10×`. */
function bandRange(band: number): string {
  const from = lowerBound(band);
  const to = RECOMMENDATIONS[band]?.below ?? Number.POSITIVE_INFINITY;
  if (from === null) return `< ${to}×`;
  return Number.isFinite(to) ? `${from}–${to}×` : `≥ ${from}×`;
}

/** The bands by colour: `orange < 2×, yellow 2–5×, …`. */
export const recommendationColorBands = (): string =>
  RECOMMENDATIONS.map((_row, i) => `${colorOf(i).replace('-', ' ')} ${bandRange(i)}`).join(', ');

/** The bands by label: `< 2× moderate benefit, 2–5× good candidate, …`. */
export const recommendationLabelBands = (): string =>
  RECOMMENDATIONS.map((row, i) => `${bandRange(i)} ${row.label}`).join(', ');
