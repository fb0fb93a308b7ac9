// Placeholder: the service page is being written.
import { boot } from "./core.js";

const STRINGS = { fr: {}, en: {} };
boot(STRINGS).then(() => document.getElementById("app").replaceChildren());
