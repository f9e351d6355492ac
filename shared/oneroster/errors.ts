import { HttpError } from '../errors';

/** The imsx code minor values OneRoster 1.2 names for a request it cannot serve (`imsx_CodeMinorFieldDType`). */
export type OneRosterCodeMinor =
  | 'invalid_filter_field'
  | 'invalid_selection_field'
  | 'invaliddata'
  | 'unauthorisedrequest'
  | 'forbidden'
  | 'unknownobject'
  | 'server_busy'
  | 'internal_server_error';

/** The 1EdTech status payload (`imsx_StatusInfoDType`) of a failed OneRoster request. */
export interface OneRosterStatusInfo {
  imsx_codeMajor: 'failure';
  imsx_severity: 'error';
  imsx_description: string;
  imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: 'TargetEndSystem'; imsx_codeMinorFieldValue: OneRosterCodeMinor }] };
}

/** The 1EdTech status payload of a failure: what every error of the OneRoster routes answers (shared/http/problem.ts). */
export function statusInfo(codeMinor: OneRosterCodeMinor, description: string): OneRosterStatusInfo {
  return {
    imsx_codeMajor: 'failure',
    imsx_severity: 'error',
    imsx_description: description,
    imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: 'TargetEndSystem', imsx_codeMinorFieldValue: codeMinor }] },
  };
}

/**
 * A OneRoster query parameter (`filter`, `fields`, `sort`, `orderBy`, `limit`, `offset`) that cannot be
 * served: a 400 whose body is the 1EdTech status payload. The message names the parameter, the field and
 * the rule broken, never a value the caller sent (a filter value is often a name or an email).
 */
export class OneRosterQueryError extends HttpError {
  override readonly name = 'OneRosterQueryError';

  constructor(
    readonly codeMinor: OneRosterCodeMinor,
    message: string,
  ) {
    super(400, 'Bad Request', message);
  }

  /** The response body OneRoster 1.2 specifies for this error. */
  toStatusInfo(): OneRosterStatusInfo {
    return statusInfo(this.codeMinor, this.message);
  }
}
