//! How a composed component is wired, read from its bytes: the components
//! it defines, the instances it makes of them, and where each argument of
//! each instance comes from (another instance's export, or an import the
//! runtime provides). Nothing recorded by the composer is trusted here.

use std::collections::BTreeMap;
use std::ops::Range;
use wasmparser::{
    ComponentAlias, ComponentExternalKind, ComponentInstance, ComponentOuterAliasKind,
    ComponentType, ComponentTypeRef, InstanceTypeDeclaration, KnownCustom, Parser, Payload,
};

/// An entry of the component index space.
#[derive(Debug, Clone)]
pub enum ComponentDef {
    /// Defined inside the artifact, at this byte range.
    Defined(Range<usize>),
    /// Anything else (imported, aliased): not inspected.
    Other,
}

/// An entry of the instance index space.
#[derive(Debug, Clone)]
pub enum InstanceDef {
    /// An import the runtime provides; `types_only` when it carries
    /// nothing but types.
    Import { name: String, types_only: bool },
    /// An instance of component `component` with these arguments (name →
    /// instance index), and other arguments (functions, types) by name.
    Instantiated {
        component: u32,
        args: Vec<(String, u32)>,
    },
    /// The export `name` of instance `instance`.
    Export { instance: u32, name: String },
    /// An instance put together from exports.
    Bag,
}

/// The wiring of one artifact.
#[derive(Debug, Default)]
pub struct Wiring {
    /// The component index space.
    pub components: Vec<ComponentDef>,
    /// The instance index space.
    pub instances: Vec<InstanceDef>,
    /// Instance names from the `component-name` section.
    pub names: BTreeMap<u32, String>,
    /// The custom sections at the top level, by name.
    pub custom: BTreeMap<String, Vec<u8>>,
    /// Where each core module starts, at any depth, in the order of the
    /// bytes (the order runtimes number them in).
    pub modules: Vec<usize>,
}

/// An entry of the type index space, as far as the audit cares.
#[derive(Debug, Clone, Copy)]
enum TypeDef {
    /// An instance type, and whether it exports nothing but types.
    Instance {
        types_only: bool,
    },
    Other,
}

impl Wiring {
    /// Reads the wiring of the component `bytes`.
    pub fn read(bytes: &[u8]) -> Result<Wiring, String> {
        let mut wiring = Wiring::default();
        let mut types: Vec<TypeDef> = Vec::new();
        let mut depth = 0usize;
        for payload in Parser::new(0).parse_all(bytes) {
            let payload = payload.map_err(|e| format!("not a valid component: {e}"))?;
            match payload {
                Payload::Version { encoding, .. }
                    if depth == 0 && encoding != wasmparser::Encoding::Component =>
                {
                    return Err("it is a core module, not a component".to_string());
                }
                Payload::ModuleSection {
                    unchecked_range, ..
                } => {
                    wiring.modules.push(unchecked_range.start as usize);
                    depth += 1;
                }
                Payload::ComponentSection {
                    unchecked_range, ..
                } => {
                    if depth == 0 {
                        wiring.components.push(ComponentDef::Defined(
                            unchecked_range.start as usize..unchecked_range.end as usize,
                        ));
                    }
                    depth += 1;
                }
                Payload::End(_) => depth = depth.saturating_sub(1),
                _ if depth > 0 => {}
                Payload::ComponentTypeSection(reader) => {
                    for ty in reader {
                        types.push(match ty.map_err(|e| e.to_string())? {
                            ComponentType::Instance(declarations) => TypeDef::Instance {
                                types_only: declarations.iter().all(|d| match d {
                                    InstanceTypeDeclaration::Export { ty, .. } => matches!(
                                        ty,
                                        ComponentTypeRef::Type(wasmparser::TypeBounds::Eq(_))
                                    ),
                                    _ => true,
                                }),
                            },
                            _ => TypeDef::Other,
                        });
                    }
                }
                Payload::ComponentImportSection(reader) => {
                    for import in reader {
                        let import = import.map_err(|e| e.to_string())?;
                        match import.ty {
                            ComponentTypeRef::Instance(ty) => {
                                let types_only = matches!(
                                    types.get(ty as usize),
                                    Some(TypeDef::Instance { types_only: true })
                                );
                                wiring.instances.push(InstanceDef::Import {
                                    name: import.name.name.to_string(),
                                    types_only,
                                });
                            }
                            ComponentTypeRef::Component(_) => {
                                wiring.components.push(ComponentDef::Other)
                            }
                            ComponentTypeRef::Type(_) => types.push(TypeDef::Other),
                            _ => {}
                        }
                    }
                }
                Payload::ComponentInstanceSection(reader) => {
                    for instance in reader {
                        wiring
                            .instances
                            .push(match instance.map_err(|e| e.to_string())? {
                                ComponentInstance::Instantiate {
                                    component_index,
                                    args,
                                } => InstanceDef::Instantiated {
                                    component: component_index,
                                    args: args
                                        .iter()
                                        .filter(|arg| arg.kind == ComponentExternalKind::Instance)
                                        .map(|arg| (arg.name.to_string(), arg.index))
                                        .collect(),
                                },
                                ComponentInstance::FromExports(_) => InstanceDef::Bag,
                            });
                    }
                }
                Payload::ComponentAliasSection(reader) => {
                    for alias in reader {
                        match alias.map_err(|e| e.to_string())? {
                            ComponentAlias::InstanceExport {
                                kind,
                                instance_index,
                                name,
                            } => match kind {
                                ComponentExternalKind::Instance => {
                                    wiring.instances.push(InstanceDef::Export {
                                        instance: instance_index,
                                        name: name.to_string(),
                                    })
                                }
                                ComponentExternalKind::Component => {
                                    wiring.components.push(ComponentDef::Other)
                                }
                                ComponentExternalKind::Type => types.push(TypeDef::Other),
                                _ => {}
                            },
                            ComponentAlias::Outer { kind, .. } => match kind {
                                ComponentOuterAliasKind::Component => {
                                    wiring.components.push(ComponentDef::Other)
                                }
                                ComponentOuterAliasKind::Type => types.push(TypeDef::Other),
                                _ => {}
                            },
                            ComponentAlias::CoreInstanceExport { .. } => {}
                        }
                    }
                }
                Payload::ComponentExportSection(reader) => {
                    for export in reader {
                        let export = export.map_err(|e| e.to_string())?;
                        match export.kind {
                            ComponentExternalKind::Instance => {
                                wiring.instances.push(InstanceDef::Export {
                                    instance: export.index,
                                    name: String::new(),
                                })
                            }
                            ComponentExternalKind::Component => {
                                wiring.components.push(ComponentDef::Other)
                            }
                            ComponentExternalKind::Type => types.push(TypeDef::Other),
                            _ => {}
                        }
                    }
                }
                Payload::CustomSection(section) => {
                    if let KnownCustom::ComponentName(reader) = section.as_known() {
                        for name in reader.flatten() {
                            if let wasmparser::ComponentName::Instances(map) = name {
                                for naming in map.into_iter().flatten() {
                                    wiring.names.insert(naming.index, naming.name.to_string());
                                }
                            }
                        }
                    } else {
                        wiring
                            .custom
                            .insert(section.name().to_string(), section.data().to_vec());
                    }
                }
                _ => {}
            }
        }
        Ok(wiring)
    }

    /// Where instance `index` comes from, following aliases of exported
    /// instances back to the instance that exports them.
    pub fn source(&self, index: u32) -> Source {
        match self.instances.get(index as usize) {
            Some(InstanceDef::Import { name, types_only }) => Source::Runtime {
                import: name.clone(),
                types_only: *types_only,
            },
            Some(InstanceDef::Export { instance, name }) => {
                match self.instances.get(*instance as usize) {
                    Some(InstanceDef::Import { name: import, .. }) => Source::Runtime {
                        import: format!("{import} ({name})"),
                        types_only: false,
                    },
                    Some(InstanceDef::Instantiated { .. }) => Source::Instance {
                        instance: *instance,
                        export: name.clone(),
                    },
                    _ => Source::Unknown,
                }
            }
            Some(InstanceDef::Instantiated { .. }) => Source::Instance {
                instance: index,
                export: String::new(),
            },
            _ => Source::Unknown,
        }
    }

    /// The bytes of the component that instance `index` instantiates, if
    /// the artifact defines it.
    pub fn component_bytes<'a>(&self, bytes: &'a [u8], index: u32) -> Option<&'a [u8]> {
        let InstanceDef::Instantiated { component, .. } = self.instances.get(index as usize)?
        else {
            return None;
        };
        match self.components.get(*component as usize)? {
            ComponentDef::Defined(range) => bytes.get(range.clone()),
            ComponentDef::Other => None,
        }
    }
}

/// Where an argument of an instance comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An import of the artifact: whatever the runtime grants.
    Runtime { import: String, types_only: bool },
    /// An export of another instance of the artifact.
    Instance { instance: u32, export: String },
    /// Something the audit cannot follow.
    Unknown,
}
