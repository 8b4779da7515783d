/** Exit codes (contract): 0 healthy or fixed, 1 diagnosed not fixed, 2 usage or bad input, 3 could not reach or run. */
export const EXIT = { healthyOrFixed: 0, diagnosed: 1, usage: 2, unreachable: 3 } as const;
