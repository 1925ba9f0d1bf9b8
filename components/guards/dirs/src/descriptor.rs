//! The guard's descriptors: each stands in front of one of the runtime's
//! and passes every call through, but `symlink-at`, which is refused.
//! Values cross between the runtime's `wasi:filesystem/types` and the
//! exported one, which are the same types declared twice.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use crate::exports::wasi::filesystem::types::{
    self as exported, Advice, DescriptorBorrow, DescriptorFlags, DescriptorStat, DescriptorType,
    DirectoryEntry, ErrorCode, Filesize, MetadataHashValue, NewTimestamp, OpenFlags, PathFlags,
};
use crate::wasi::filesystem::types as host;
use crate::wasi::io::error::Error;
use crate::wasi::io::streams::{InputStream, OutputStream};

/// The guard's descriptor for the runtime's `inner` (which handles from
/// `get-directories` share).
pub fn guarded(inner: Rc<host::Descriptor>) -> exported::Descriptor {
    exported::Descriptor::new(Descriptor { inner })
}

/// A descriptor as the guarded instance holds it.
pub struct Descriptor {
    inner: Rc<host::Descriptor>,
}

/// A directory listing as the guarded instance holds it.
pub struct DirectoryEntryStream {
    inner: host::DirectoryEntryStream,
}

/// The runtime's descriptor behind one the instance lends back.
fn inner<'a>(descriptor: &'a DescriptorBorrow<'_>) -> &'a host::Descriptor {
    &descriptor.get::<Descriptor>().inner
}

// The enums below are each one WIT enum declared twice (imported and
// exported): a case's discriminant is its position in the WIT, the same
// on both sides, so lifting one side's discriminant gives the same case.

fn error(code: host::ErrorCode) -> ErrorCode {
    // SAFETY: the same enum on both sides (see above).
    unsafe { ErrorCode::_lift(code as u8) }
}

fn descriptor_type(kind: host::DescriptorType) -> DescriptorType {
    // SAFETY: the same enum on both sides (see above).
    unsafe { DescriptorType::_lift(kind as u8) }
}

fn advice(advice: Advice) -> host::Advice {
    // SAFETY: the same enum on both sides (see above).
    unsafe { host::Advice::_lift(advice as u8) }
}

fn path_flags(flags: PathFlags) -> host::PathFlags {
    host::PathFlags::from_bits_retain(flags.bits())
}

fn timestamp(timestamp: NewTimestamp) -> host::NewTimestamp {
    match timestamp {
        NewTimestamp::NoChange => host::NewTimestamp::NoChange,
        NewTimestamp::Now => host::NewTimestamp::Now,
        NewTimestamp::Timestamp(at) => host::NewTimestamp::Timestamp(at),
    }
}

fn stat(stat: host::DescriptorStat) -> DescriptorStat {
    DescriptorStat {
        type_: descriptor_type(stat.type_),
        link_count: stat.link_count,
        size: stat.size,
        data_access_timestamp: stat.data_access_timestamp,
        data_modification_timestamp: stat.data_modification_timestamp,
        status_change_timestamp: stat.status_change_timestamp,
    }
}

fn hash(hash: host::MetadataHashValue) -> MetadataHashValue {
    MetadataHashValue {
        lower: hash.lower,
        upper: hash.upper,
    }
}

impl exported::GuestDescriptor for Descriptor {
    fn read_via_stream(&self, offset: Filesize) -> Result<InputStream, ErrorCode> {
        self.inner.read_via_stream(offset).map_err(error)
    }

    fn write_via_stream(&self, offset: Filesize) -> Result<OutputStream, ErrorCode> {
        self.inner.write_via_stream(offset).map_err(error)
    }

    fn append_via_stream(&self) -> Result<OutputStream, ErrorCode> {
        self.inner.append_via_stream().map_err(error)
    }

    fn advise(&self, offset: Filesize, length: Filesize, how: Advice) -> Result<(), ErrorCode> {
        self.inner
            .advise(offset, length, advice(how))
            .map_err(error)
    }

    fn sync_data(&self) -> Result<(), ErrorCode> {
        self.inner.sync_data().map_err(error)
    }

    fn get_flags(&self) -> Result<DescriptorFlags, ErrorCode> {
        self.inner
            .get_flags()
            .map(|flags| DescriptorFlags::from_bits_retain(flags.bits()))
            .map_err(error)
    }

    fn get_type(&self) -> Result<DescriptorType, ErrorCode> {
        self.inner.get_type().map(descriptor_type).map_err(error)
    }

    fn set_size(&self, size: Filesize) -> Result<(), ErrorCode> {
        self.inner.set_size(size).map_err(error)
    }

    fn set_times(&self, access: NewTimestamp, modification: NewTimestamp) -> Result<(), ErrorCode> {
        self.inner
            .set_times(timestamp(access), timestamp(modification))
            .map_err(error)
    }

    fn read(&self, length: Filesize, offset: Filesize) -> Result<(Vec<u8>, bool), ErrorCode> {
        self.inner.read(length, offset).map_err(error)
    }

    fn write(&self, buffer: Vec<u8>, offset: Filesize) -> Result<Filesize, ErrorCode> {
        self.inner.write(&buffer, offset).map_err(error)
    }

    fn read_directory(&self) -> Result<exported::DirectoryEntryStream, ErrorCode> {
        self.inner
            .read_directory()
            .map(|inner| exported::DirectoryEntryStream::new(DirectoryEntryStream { inner }))
            .map_err(error)
    }

    fn sync(&self) -> Result<(), ErrorCode> {
        self.inner.sync().map_err(error)
    }

    fn create_directory_at(&self, path: String) -> Result<(), ErrorCode> {
        self.inner.create_directory_at(&path).map_err(error)
    }

    fn stat(&self) -> Result<DescriptorStat, ErrorCode> {
        self.inner.stat().map(stat).map_err(error)
    }

    fn stat_at(&self, flags: PathFlags, path: String) -> Result<DescriptorStat, ErrorCode> {
        self.inner
            .stat_at(path_flags(flags), &path)
            .map(stat)
            .map_err(error)
    }

    fn set_times_at(
        &self,
        flags: PathFlags,
        path: String,
        access: NewTimestamp,
        modification: NewTimestamp,
    ) -> Result<(), ErrorCode> {
        self.inner
            .set_times_at(
                path_flags(flags),
                &path,
                timestamp(access),
                timestamp(modification),
            )
            .map_err(error)
    }

    fn link_at(
        &self,
        old_flags: PathFlags,
        old_path: String,
        new_descriptor: DescriptorBorrow<'_>,
        new_path: String,
    ) -> Result<(), ErrorCode> {
        self.inner
            .link_at(
                path_flags(old_flags),
                &old_path,
                inner(&new_descriptor),
                &new_path,
            )
            .map_err(error)
    }

    fn open_at(
        &self,
        flags: PathFlags,
        path: String,
        open_flags: OpenFlags,
        rights: DescriptorFlags,
    ) -> Result<exported::Descriptor, ErrorCode> {
        self.inner
            .open_at(
                path_flags(flags),
                &path,
                host::OpenFlags::from_bits_retain(open_flags.bits()),
                host::DescriptorFlags::from_bits_retain(rights.bits()),
            )
            .map(|opened| guarded(Rc::new(opened)))
            .map_err(error)
    }

    fn readlink_at(&self, path: String) -> Result<String, ErrorCode> {
        self.inner.readlink_at(&path).map_err(error)
    }

    fn remove_directory_at(&self, path: String) -> Result<(), ErrorCode> {
        self.inner.remove_directory_at(&path).map_err(error)
    }

    fn rename_at(
        &self,
        old_path: String,
        new_descriptor: DescriptorBorrow<'_>,
        new_path: String,
    ) -> Result<(), ErrorCode> {
        self.inner
            .rename_at(&old_path, inner(&new_descriptor), &new_path)
            .map_err(error)
    }

    /// Refused: see the crate's documentation.
    fn symlink_at(&self, _old_path: String, _new_path: String) -> Result<(), ErrorCode> {
        Err(ErrorCode::NotPermitted)
    }

    fn unlink_file_at(&self, path: String) -> Result<(), ErrorCode> {
        self.inner.unlink_file_at(&path).map_err(error)
    }

    fn is_same_object(&self, other: DescriptorBorrow<'_>) -> bool {
        self.inner.is_same_object(inner(&other))
    }

    fn metadata_hash(&self) -> Result<MetadataHashValue, ErrorCode> {
        self.inner.metadata_hash().map(hash).map_err(error)
    }

    fn metadata_hash_at(
        &self,
        flags: PathFlags,
        path: String,
    ) -> Result<MetadataHashValue, ErrorCode> {
        self.inner
            .metadata_hash_at(path_flags(flags), &path)
            .map(hash)
            .map_err(error)
    }
}

impl exported::GuestDirectoryEntryStream for DirectoryEntryStream {
    fn read_directory_entry(&self) -> Result<Option<DirectoryEntry>, ErrorCode> {
        self.inner
            .read_directory_entry()
            .map(|entry| {
                entry.map(|entry| DirectoryEntry {
                    type_: descriptor_type(entry.type_),
                    name: entry.name,
                })
            })
            .map_err(error)
    }
}

impl exported::Guest for crate::Guard {
    type Descriptor = Descriptor;
    type DirectoryEntryStream = DirectoryEntryStream;

    fn filesystem_error_code(err: &Error) -> Option<ErrorCode> {
        host::filesystem_error_code(err).map(error)
    }
}
