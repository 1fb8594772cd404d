/// <reference types="vite/client" />
/** Build-time flag: the demo wallet is compiled in (vite --mode demo / development) or eliminated (production). */
declare const __KRAKEN_DEMO__: boolean;
