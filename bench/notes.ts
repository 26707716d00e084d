/** The explanatory part of docs/benchmarks.md; a full bench run writes it after the table. */
export const BENCH_NOTES = `## Notes

(filled in below)
`;
