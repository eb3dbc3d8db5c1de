'use strict';

// @peculiar/x509 2.x uses tsyringe, which needs the Reflect metadata API (normally from the "reflect-metadata"
// package). This package may only depend on the packages its README lists, so this is the small subset tsyringe
// calls: defineMetadata, getOwnMetadata, getMetadata (walking the prototype chain), hasOwnMetadata, metadata.
// Load it before @peculiar/x509. It does nothing when a Reflect metadata API is already present.

if (typeof Reflect.getMetadata !== 'function') {
    const store = new WeakMap();
    const table = (target, property, create) => {
        let byProperty = store.get(target);
        if (!byProperty) {
            if (!create) return undefined;
            byProperty = new Map();
            store.set(target, byProperty);
        }
        let byKey = byProperty.get(property);
        if (!byKey) {
            if (!create) return undefined;
            byKey = new Map();
            byProperty.set(property, byKey);
        }
        return byKey;
    };
    Reflect.defineMetadata = (key, value, target, property) => {
        table(target, property, true).set(key, value);
    };
    Reflect.getOwnMetadata = (key, target, property) => {
        const t = table(target, property, false);
        return t ? t.get(key) : undefined;
    };
    Reflect.hasOwnMetadata = (key, target, property) => {
        const t = table(target, property, false);
        return t ? t.has(key) : false;
    };
    Reflect.getMetadata = (key, target, property) => {
        for (let o = target; o !== null && o !== undefined; o = Object.getPrototypeOf(o)) {
            const t = table(o, property, false);
            if (t && t.has(key)) return t.get(key);
        }
        return undefined;
    };
    Reflect.metadata = (key, value) => (target, property) => Reflect.defineMetadata(key, value, target, property);
}
