/** The problem+json body (docs/api.md#errors) a test expects, with the request id left free. */
export function problem(status: number, title: string, detail: string) {
  return { type: 'about:blank', title, status, detail, requestId: expect.any(String) };
}

/** The 400 body naming one bad field. */
export function badRequest(path: string) {
  return { ...problem(400, 'Bad Request', 'The request is not valid.'), errors: [{ path, message: expect.any(String) }] };
}
