/** Why a join (or an import's load) failed: the close code the member gets, and why. */
export class JoinError extends Error {
  override readonly name = 'JoinError';
  constructor(
    readonly closeCode: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
