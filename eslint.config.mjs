import eslint from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

export default tseslint.config(
  {
    ignores: [
      "bin/**",
      "node_modules/**",
      "**/node_modules/**",
      "coverage/**",
      "eslint.config.mjs",
      "jest.config.js",
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  // Each error class declares its fields once, as an interface merged into the class (see OntapError).
  {
    files: ["provider/ontap/errors.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-declaration-merging": "off",
      "@typescript-eslint/no-empty-object-type": ["error", { allowInterfaces: "with-single-extends" }],
    },
  },
  // Layer boundaries (ARCHITECTURE.md). Type-only imports may cross where a rule says so: they vanish at build.
  {
    files: ["provider/resources/model/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/ontap", "**/ontap/*", "@pulumi/pulumi", "@pulumi/pulumi/*"],
              allowTypeImports: true,
              message: "model/ is pure: it reads ONTAP's record types, but imports no HTTP or Pulumi code.",
            },
            {
              group: ["**/impl", "**/impl/*", "**/simulator", "**/simulator/*", "undici"],
              message: "model/ is pure: no glue, no simulator, no HTTP.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["provider/ontap/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@pulumi/*", "**/resources", "**/resources/*", "**/simulator", "**/simulator/*"],
              message: "ontap/ speaks HTTP and knows nothing of Pulumi, the resources or the simulator.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["provider/resources/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["./impl", "./impl/*", "../ontap", "../ontap/*"],
              message:
                "A resource file is serialized into every state: it imports nothing of impl/ or ontap/ (the " +
                "provider object loads the implementation by package name at call time).",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["provider/**/*.ts"],
    ignores: ["provider/resources/model/**", "provider/ontap/**", "provider/resources/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/simulator", "**/simulator/*", "**/test/*", "pulumi-ontap-keymanager/simulator"],
              message: "The provider never imports the simulator or the tests.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["simulator/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/provider", "**/provider/*", "pulumi-ontap-keymanager", "@pulumi/*"],
              message:
                "The simulator follows ONTAP's reference, not the provider: it imports nothing of provider/.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["test/**/*.ts", "bench/**/*.ts", "scripts/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [
                "**/scripts/*",
                "**/bench/*",
                "../test/*/**",
                "!../test/support",
                "!../test/support/**",
              ],
              message:
                "Tests, the bench and the demo share helpers from one folder, test/support/: import them from there.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.cjs", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Plain CommonJS scripts run by Node (no TypeScript, no bundler).
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: {
        require: "readonly",
        module: "writable",
        __dirname: "readonly",
        process: "readonly",
        console: "readonly",
      },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  prettier,
);
