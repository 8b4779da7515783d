/** How many terminal lines a text takes once wrapped at this width: words wrap whole, as Ink wraps them. */
export function wrappedLines(text: string, columns: number): number {
  const width = Math.max(20, columns);
  let lines = 0;
  for (const paragraph of text.split('\n')) {
    let used = 0;
    lines += 1;
    for (const word of paragraph.split(' ')) {
      const need = used === 0 ? word.length : used + 1 + word.length;
      if (need <= width) used = need;
      else {
        lines += Math.max(1, Math.ceil(word.length / width));
        used = word.length % width;
      }
    }
  }
  return lines;
}

/** What is left for evidence once everything else on the screen has its lines; never less than two. */
export function evidenceBudget(rows: number, columns: number, texts: string[], plainLines: number): number {
  const used = plainLines + texts.reduce((sum, text) => sum + wrappedLines(text, columns), 0);
  return Math.max(2, rows - used);
}
