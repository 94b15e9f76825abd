/**
 * CSV as RFC 4180 writes it (CRLF line ends; a field holding a comma, quote, CR or LF is quoted,
 * quotes doubled), made safe to open in a spreadsheet: a text cell starting with = + - @ or a tab
 * or CR would be read as a formula (CSV injection: a principal named `=HYPERLINK(...)`), so such a
 * cell gets a leading apostrophe, as OWASP recommends. The apostrophe is visible in the cell and
 * in the file; the NDJSON export carries every value unchanged.
 */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return "";
  let s = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvLine(cells: readonly (string | number | boolean | null)[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}
