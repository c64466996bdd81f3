/** How a benchmark child reports: one JSON line on stdout, its figures plus peak memory (max RSS). */
export function report(figures: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...figures, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
}
