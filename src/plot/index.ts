/**
 * Plots as SVG strings (browser-safe). Rasterize to PNG with `svgToPng` / `writePlot` from
 * src/node/plot.ts.
 */
export {
  lineChart,
  barChart,
  scatterChart,
  heatmap,
  panelGrid,
  type Point,
  type LineSeries,
  type LineChartOptions,
  type BarSeries,
  type BarChartOptions,
  type ScatterPoint,
  type ScatterSeries,
  type ScatterChartOptions,
  type HeatmapOptions,
  type ScatterPanel,
  type PanelGridOptions,
} from './svg.js';
export { PALETTE, heatColor, sequentialColor } from './color.js';
export { formatNumber, niceStep } from './scale.js';
export { escapeXml, textWidth, FONT_FAMILY } from './text.js';
