import { expect, test } from "bun:test";
import { csvCell, csvLine } from "./csv.ts";

test("RFC 4180: quote fields with comma, quote, CR or LF; double the quotes; CRLF line ends", () => {
  expect(csvLine(["a", "b,c", 'say "hi"', "two\nlines", null, 3])).toBe(
    'a,"b,c","say ""hi""","two\nlines",,3\r\n',
  );
  expect(csvCell("")).toBe("");
  expect(csvCell("carriage\rreturn")).toBe('"carriage\rreturn"');
});

test("formula injection: text starting with = + - @ tab or CR gets a leading apostrophe", () => {
  expect(csvCell('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
  expect(csvCell("+1")).toBe("'+1");
  expect(csvCell("-2+3")).toBe("'-2+3");
  expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
  expect(csvCell("\tx")).toBe("'\tx");
  expect(csvCell("\rx")).toBe('"\'\rx"');
  // Numbers are not text: a negative count stays a number; inner = is harmless.
  expect(csvCell(-1)).toBe("-1");
  expect(csvCell("a=b")).toBe("a=b");
});
