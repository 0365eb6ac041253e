import { TANDEM_SUBPROTOCOL, TANDEM_SUBPROTOCOL_PREFIX } from './message-types.js';

/** Outcome of subprotocol negotiation for one upgrade request. */
export type NegotiatedProtocol =
  /** No tandem subprotocol offered: plain y-websocket. */
  | { readonly kind: 'plain' }
  /** tandem.v1 offered and selected. */
  | { readonly kind: 'tandem'; readonly selected: typeof TANDEM_SUBPROTOCOL }
  /** Only unsupported tandem versions offered: select the first so the handshake completes, then close with 4400. */
  | { readonly kind: 'unsupported'; readonly selected: string };

/**
 * Picks the subprotocol for an upgrade from the client's offer (in order).
 * tandem.v1 wins when offered; other `tandem.*` offers alone are unsupported versions;
 * anything else is ignored (plain y-websocket).
 */
export function negotiateSubprotocol(offered: Iterable<string>): NegotiatedProtocol {
  let firstTandem: string | undefined;
  for (const protocol of offered) {
    if (protocol === TANDEM_SUBPROTOCOL) return { kind: 'tandem', selected: TANDEM_SUBPROTOCOL };
    if (firstTandem === undefined && protocol.startsWith(TANDEM_SUBPROTOCOL_PREFIX)) firstTandem = protocol;
  }
  return firstTandem === undefined ? { kind: 'plain' } : { kind: 'unsupported', selected: firstTandem };
}
