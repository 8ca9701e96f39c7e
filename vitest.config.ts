import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["lib/**/*_test.ts", "lib/**/*_test.tsx", "test/**/*_test.ts", "test/**/*_test.tsx", "bench/**/*_test.ts"],
  },
});
