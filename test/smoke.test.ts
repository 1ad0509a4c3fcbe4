import { version } from "../provider";

test("package exports its version", () => {
  expect(version).toMatch(/^\d+\.\d+\.\d+$/);
});
