/**
 * The words that run a probe script in bash. --norc: bash started under sshd reads ~/.bashrc even when
 * it is not interactive, which can take a second on a busy login script and print into the probe's output.
 */
export const PROBE_BASH = ['bash', '--norc', '-c'] as const;
