// Who is signed in, and what the key may do: the pages show a write control only where the key's
// permissions (as the hub reports them in `me`) allow it. The hub checks every call again.
import { createContext } from "preact";
import { useContext } from "preact/hooks";

export interface Me {
  role: string;
  keyId: string;
  permissions: string[];
  organisation: { id: string; name: string; type: string; country: string | null; portLocode: string | null };
}

export const ME_QUERY = `{ me { role keyId permissions organisation { id name type country portLocode } } }`;

export const MeContext = createContext<Me | null>(null);

export function useMe(): Me {
  const me = useContext(MeContext);
  if (me === null) throw new Error("useMe outside a signed-in page");
  return me;
}

export function can(me: Me, permission: string): boolean {
  return me.permissions.includes(permission);
}

export interface NavItem {
  path: string;
  label: string;
}

const TRACK = { path: "/track", label: "Track" };
const BILLS = { path: "/bills", label: "Bills" };
const INGEST = { path: "/ingest", label: "Ingest" };
const DOCS = { path: "/documents", label: "Documents" };
const ORDERS = { path: "/orders", label: "Orders" };
const CUSTOMS = { path: "/declarations", label: "Declarations" };
const PORT = { path: "/port", label: "Port" };
const FINANCE = { path: "/finance", label: "Finance" };
const EXPOSURE = { path: "/exposure", label: "Exposure" };
const VERIFY = { path: "/verify", label: "Verify" };

/** The pages each kind of organisation works in, most used first. */
export function navFor(orgType: string): NavItem[] {
  switch (orgType) {
    case "FORWARDER":
    case "CARRIER":
      return [TRACK, BILLS, INGEST, DOCS, VERIFY];
    case "TERMINAL":
      return [PORT, INGEST, TRACK, VERIFY];
    case "PORT_OPERATOR":
      return [PORT, TRACK, VERIFY];
    case "SELLER":
    case "PLATFORM":
      return [ORDERS, DOCS, BILLS, FINANCE, TRACK, VERIFY];
    case "BANK":
      return [FINANCE, BILLS, VERIFY];
    case "CUSTOMS":
      return [CUSTOMS, ORDERS, PORT, TRACK, VERIFY];
    case "REGULATOR":
      return [TRACK, BILLS, ORDERS, CUSTOMS, PORT, FINANCE, EXPOSURE, DOCS, VERIFY];
    default:
      return [VERIFY];
  }
}
