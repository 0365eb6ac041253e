import type { TokenSource } from '@tandem/client';
import { useMemo, useRef } from 'react';

/**
 * `token` with a stable identity: a string as is (a new string is a new token), a function
 * wrapped so the newest one is always called — a new closure each render changes nothing.
 */
export function useStableToken(token: TokenSource | undefined): TokenSource | undefined {
  const ref = useRef(token);
  ref.current = token;
  const key = typeof token === 'function' ? 'function' : token;
  return useMemo<TokenSource | undefined>(
    () =>
      key === 'function'
        ? () => {
            const source = ref.current;
            return typeof source === 'function' ? source() : source;
          }
        : key,
    [key],
  );
}
