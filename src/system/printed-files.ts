/**
 * Files a command printed one after another, each after a line "\x1e<path>" (the shape of the service
 * definitions, the containers' configs and php-fpm's included files): each path with the text that
 * followed it, up to the next such line. Pure.
 */
export function printedFiles(stdout: string): { file: string; text: string }[] {
  return stdout
    .split('\x1e')
    .slice(1)
    .flatMap((chunk) => {
      const newline = chunk.indexOf('\n');
      return newline < 0 ? [] : [{ file: chunk.slice(0, newline), text: chunk.slice(newline + 1) }];
    });
}
