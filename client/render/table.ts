/** Column alignment for the human views: widths computed from the cells, colour codes not counted. */

// eslint-disable-next-line no-control-regex -- the SGR escapes that style.ts writes
const SGR = /\u001b\[[0-9;]*m/g;

/** Printed width of a cell: escape codes take no columns. */
export function visibleWidth(s: string): number {
  return Array.from(s.replace(SGR, '')).length;
}

/**
 * Rows as lines with every column as wide as its widest cell, two spaces apart. Empty cells keep
 * their column (so the next column stays aligned); trailing empty cells and spaces are dropped.
 */
export function alignRows(rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleWidth(cell))));
  return rows.map((row) => {
    let last = row.length - 1;
    while (last >= 0 && row[last] === '') last--;
    const cells: string[] = [];
    for (let i = 0; i <= last; i++) {
      // A column empty in every row takes no room at all.
      if ((widths[i] ?? 0) === 0) continue;
      const cell = row[i] ?? '';
      cells.push(i === last ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleWidth(cell)));
    }
    return indent + cells.join('  ');
  });
}
