/**
 * Runs `work` with everything the service writes to stdout and stderr (its JSON log and metric lines)
 * appended to `into` instead of printed, and returns what `work` returns.
 */
export async function capturingOutput<T>(into: string[], work: () => Promise<T>): Promise<T> {
  const capture = (chunk: unknown) => {
    into.push(String(chunk));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    return await work();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
