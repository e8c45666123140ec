/**
 * safetensors files opened by path (Node). The format, the header validation and the tensor reads are
 * safetensors-reader.ts's, which works on any ByteSource (and so in a browser too).
 */
import { fileSource } from './file-io.js';
import { readSafetensorsHeader, SafetensorsReader } from './safetensors-reader.js';

export {
  MAX_HEADER_BYTES,
  parseSafetensorsHeader,
  readSafetensorsHeader,
  SafetensorsReader,
  type SafetensorsDType,
  type SafetensorsHeader,
  type SafetensorsTensorInfo,
} from './safetensors-reader.js';

/** An open safetensors file. Close it when done; tensor reads are positional and independent. */
export class SafetensorsFile extends SafetensorsReader {
  /** Opens and validates the header; throws FormatError (and leaves no open descriptor) if it is bad. */
  static open(path: string): SafetensorsFile {
    const source = fileSource(path);
    try {
      return new SafetensorsFile(source, readSafetensorsHeader(source));
    } catch (err) {
      source.close();
      throw err;
    }
  }
}
