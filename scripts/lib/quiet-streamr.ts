// Imported first by the npm tasks: the Streamr SDK reads LOG_LEVEL when its modules load and
// would otherwise log every node start at info on stdout. Set LOG_LEVEL to see them.
import { setDefaultForLibraries } from "@kraken/sdk/config";

setDefaultForLibraries("LOG_LEVEL", "warn");
