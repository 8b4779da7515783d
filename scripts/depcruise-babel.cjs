/**
 * How dependency-cruiser (npm run lint:deps) reads our TypeScript. It cannot use TypeScript 7 (no compiler
 * API in JavaScript), so Babel turns each file into JavaScript first. Babel would drop `import type` lines;
 * keepTypeImports turns them into ordinary imports before that, so the rules see every import a file
 * writes, type-only ones included (what tsc -p . sees), not only those left at run time.
 */
function keepTypeImports({ types: t }) {
  return {
    name: 'keep-type-imports',
    visitor: {
      // Program runs before the TypeScript preset's own visitors, which remove type-only imports.
      Program(path) {
        for (const statement of path.get('body')) {
          const node = statement.node;
          const fromModule = t.isImportDeclaration(node) || ((t.isExportNamedDeclaration(node) || t.isExportAllDeclaration(node)) && node.source);
          if (!fromModule) continue;
          if (node.importKind === 'type') node.importKind = 'value';
          if (node.exportKind === 'type') node.exportKind = 'value';
          for (const specifier of node.specifiers ?? []) {
            if (specifier.importKind === 'type') specifier.importKind = 'value';
            if (specifier.exportKind === 'type') specifier.exportKind = 'value';
          }
        }
      },
    },
  };
}

module.exports = {
  babelrc: false,
  configFile: false,
  presets: [['@babel/preset-typescript', { onlyRemoveTypeImports: true }]],
  plugins: [keepTypeImports, ['@babel/plugin-transform-react-jsx', { runtime: 'automatic' }]],
};
