/** The error codes the simulator answers with, and the HTTP status real IAM uses for each. */
export const IAM_ERROR_STATUS = {
  NoSuchEntity: 404,
  EntityAlreadyExists: 409,
  LimitExceeded: 409,
  DeleteConflict: 409,
  Throttling: 400,
  MalformedPolicyDocument: 400,
  ValidationError: 400,
  InvalidInput: 400,
  InvalidAction: 400,
  MissingParameter: 400,
  AccessDenied: 403,
  MissingAuthenticationToken: 403,
  IncompleteSignature: 400,
  ServiceFailure: 500,
} as const satisfies Record<string, number>;

export type IamErrorCode = keyof typeof IAM_ERROR_STATUS;

/**
 * Thrown by action handlers and turned into an `<ErrorResponse>` by the simulator's entry point,
 * so a handler can stop at the first failed check exactly as IAM does.
 */
export class IamError extends Error {
  readonly iamCode: IamErrorCode;
  readonly status: number;
  constructor(iamCode: IamErrorCode, message: string) {
    super(message);
    this.name = "IamError";
    this.iamCode = iamCode;
    this.status = IAM_ERROR_STATUS[iamCode];
  }

  /** IAM answers `Receiver` for its own failures and `Sender` for everything the caller got wrong. */
  get faultType(): "Sender" | "Receiver" {
    return this.status >= 500 ? "Receiver" : "Sender";
  }
}
