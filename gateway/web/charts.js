/** The ECharts build loaded before the page's modules (index.html). */
const { echarts } = window;

/**
 * The chart drawn in this element, made on first use. Tooltips are drawn on the canvas (`richText`): the
 * HTML ones carry inline styles, which the page's security policy refuses.
 */
export function chartIn(element) {
  return echarts.getInstanceByDom(element) ?? echarts.init(element);
}

export const tooltip = (options = {}) => ({ renderMode: 'richText', ...options });

/** Clips a rectangle to the chart's plot area (a session may start before the day shown). */
export const clipToPlot = (rect, coordSys) =>
  echarts.graphic.clipRectByRect(rect, { x: coordSys.x, y: coordSys.y, width: coordSys.width, height: coordSys.height });

window.addEventListener('resize', () => {
  for (const element of document.querySelectorAll('.chart')) echarts.getInstanceByDom(element)?.resize();
});
