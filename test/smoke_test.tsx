import { expect, test } from "vitest";
import { Text } from "ink";
import { render } from "ink-testing-library";

test("deno global and ink render", () => {
  expect(typeof Deno.pid).toBe("number");
  const { lastFrame } = render(<Text>hello</Text>);
  expect(lastFrame()).toBe("hello");
});
