// CSV files made in the browser: RFC 4180 quoting and CRLF line ends, a
// byte-order mark so spreadsheet programs read the file as UTF-8, and an
// apostrophe before any cell a spreadsheet would run as a formula.

const FORMULA = /^[=+\-@\t\r]/;

function cell(v) {
  let s = v === undefined || v === null ? '' : String(v);
  if (FORMULA.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// toCSV writes a header row and rows (arrays of values) as CSV text.
export function toCSV(header, rows) {
  return '\uFEFF' + [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

// download saves text as a file named filename, without a server round trip.
export function download(filename, text, type = 'text/csv;charset=utf-8') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
