// class-validator's own constraints, run without its executor. For a DTO whose decorators are all
// plain synchronous constraints (and IsOptional), this calls the very `validate` functions that
// validateSync would, in one flat loop: an object that passes here passes validateSync. Anything
// that fails, or a DTO this cannot compile, goes to validateSync, which names the fields at fault.
import { getMetadataStorage, ValidationArguments } from 'class-validator';

type Check = (object: Record<string, unknown>) => boolean;
interface Rule {
  property: string;
  constraints: unknown[];
  validate(value: unknown, args: ValidationArguments): boolean;
}

/** A DTO class: what class-validator's metadata is keyed by. */
type DtoClass = abstract new (...args: never[]) => object;

const compiled = new Map<DtoClass, Check | null>();

/** True when class-validator would find no error in `object`; false means "ask validateSync". */
export function passesConstraints(cls: DtoClass, object: Record<string, unknown>): boolean {
  let check = compiled.get(cls);
  if (check === undefined) compiled.set(cls, (check = compile(cls)));
  return check !== null && check(object);
}

function compile(cls: DtoClass): Check | null {
  const storage = getMetadataStorage();
  const rules: Rule[] = [];
  const optional = new Map<string, (object: object, value: unknown) => boolean>();
  for (const m of storage.getTargetValidationMetadatas(cls, '', false, false)) {
    if (m.each || m.always || (m.groups && m.groups.length)) return null;
    if (m.type === 'conditionalValidation') {
      if (optional.has(m.propertyName)) return null;
      optional.set(m.propertyName, m.constraints[0]);
      continue;
    }
    if (m.type !== 'customValidation' || !m.constraintCls) return null;
    const [meta] = storage.getTargetValidatorConstraints(m.constraintCls);
    if (!meta || meta.async) return null;
    const instance = new (m.constraintCls as new () => { validate(v: unknown, a: ValidationArguments): unknown })();
    rules.push({ property: m.propertyName, constraints: m.constraints ?? [], validate: (v, a) => instance.validate(v, a) === true });
  }
  const targetName = cls.name;
  return (object) => {
    for (const r of rules) {
      const value = object[r.property];
      const when = optional.get(r.property);
      if (when && !when(object, value)) continue;
      if (!r.validate(value, { value, constraints: r.constraints, targetName, object, property: r.property })) return false;
    }
    return true;
  };
}
