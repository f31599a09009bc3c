"""make rehearse: checks what a deploy handed to CloudFormation, as AWS would receive it.

Reads the template the stack was created from (the packaged one: every CodeUri an S3 URL) and, for
every function, the uploaded artifact in S3: a zip with an executable `bootstrap` at its root, an
ELF for the architecture the template declares for that function, under the size limit.

Usage: python check_artifacts.py STACK_NAME [MAX_ZIP_BYTES]
Runs with the .venv's Python (boto3 and PyYAML come with aws-sam-cli); honours AWS_ENDPOINT_URL.
"""

import io
import sys
import zipfile

import boto3
import yaml

# e_machine values from the ELF specification.
ELF_MACHINES = {"arm64": 183, "x86_64": 62}


class S3Object(io.RawIOBase):
    """A seekable view of an S3 object with ranged GETs: zipfile reads only the central directory
    and the entry it opens, so a zip of gigabytes is inspected without downloading it."""

    def __init__(self, s3, bucket, key):
        self.s3, self.bucket, self.key = s3, bucket, key
        self.size = s3.head_object(Bucket=bucket, Key=key)["ContentLength"]
        self.position = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.position

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer):
        if self.position >= self.size or len(buffer) == 0:
            return 0
        end = min(self.size, self.position + len(buffer)) - 1
        body = self.s3.get_object(
            Bucket=self.bucket, Key=self.key, Range=f"bytes={self.position}-{end}"
        )["Body"].read()
        buffer[: len(body)] = body
        self.position += len(body)
        return len(body)


def s3_location(code_uri):
    if isinstance(code_uri, str) and code_uri.startswith("s3://"):
        bucket, _, key = code_uri[len("s3://") :].partition("/")
        return bucket, key
    if isinstance(code_uri, dict) and "Bucket" in code_uri and "Key" in code_uri:
        return code_uri["Bucket"], code_uri["Key"]
    return None


def resolve(value, parameters):
    """A literal, or a Ref to a parameter (the only form the template uses for these)."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return parameters.get(value["Ref"])
    return value


def check_bootstrap(archive):
    """Problems with the zip's bootstrap, and the ELF machine it was built for."""
    names = archive.namelist()
    if "bootstrap" not in names:
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        return [f"no bootstrap at the zip's root ({len(names)} entries: {shown})"], None, 0
    info = archive.getinfo("bootstrap")
    problems = []
    if not (info.external_attr >> 16) & 0o111:
        problems.append("bootstrap is not executable in the zip")
    with archive.open("bootstrap") as binary:
        header = binary.read(20)
    if header[:4] != b"\x7fELF":
        return problems + ["bootstrap is not an ELF executable"], None, info.file_size
    if header[4] != 2 or header[5] != 1:
        problems.append("bootstrap is not a 64-bit little-endian ELF")
    machine = int.from_bytes(header[18:20], "little")
    return problems, machine, info.file_size


def main():
    stack = sys.argv[1]
    max_zip = int(sys.argv[2]) if len(sys.argv) > 2 else 10 * 1024 * 1024
    cloudformation = boto3.client("cloudformation")
    s3 = boto3.client("s3")
    body = cloudformation.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
    template = body if isinstance(body, dict) else yaml.safe_load(body)
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    parameters = {
        name: spec.get("Default") for name, spec in template.get("Parameters", {}).items()
    }
    parameters.update(
        {p["ParameterKey"]: p["ParameterValue"] for p in described.get("Parameters", [])}
    )
    global_function = template.get("Globals", {}).get("Function", {})

    failures = []
    functions = {
        name: resource
        for name, resource in template["Resources"].items()
        if resource.get("Type") == "AWS::Serverless::Function"
    }
    if not functions:
        failures.append("the deployed template declares no function")
    print(f"{'function':28} {'zip bytes':>11} {'bootstrap bytes':>16}  architecture")
    for name, resource in sorted(functions.items()):
        properties = resource.get("Properties", {})
        declared = properties.get("Architectures", global_function.get("Architectures", ["x86_64"]))
        architecture = resolve(declared[0], parameters) if declared else "x86_64"
        location = s3_location(properties.get("CodeUri", global_function.get("CodeUri")))
        if location is None:
            failures.append(f"{name}: CodeUri is not an S3 artifact: {properties.get('CodeUri')!r}")
            continue
        artifact = S3Object(s3, *location)
        problems = []
        if artifact.size > max_zip:
            problems.append(f"zip is {artifact.size} bytes, over {max_zip}")
        machine, binary_size = None, 0
        try:
            archive = zipfile.ZipFile(io.BufferedReader(artifact, buffer_size=1 << 20))
            found, machine, binary_size = check_bootstrap(archive)
            problems += found
        except zipfile.BadZipFile:
            problems.append("the artifact is not a zip")
        expected = ELF_MACHINES.get(architecture)
        if expected is None:
            problems.append(f"unknown architecture {architecture!r}")
        elif machine is not None and machine != expected:
            problems.append(
                f"bootstrap's ELF machine is {machine}, the template declares {architecture} "
                f"(machine {expected})"
            )
        print(f"{name:28} {artifact.size:>11} {binary_size:>16}  {architecture}")
        failures += [f"{name}: {problem}" for problem in problems]

    if failures:
        print("\nrehearsal FAILED: these artifacts would not run in AWS Lambda:")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print(f"\nall {len(functions)} artifacts: zip with an executable bootstrap at the root, "
          f"ELF for the declared architecture, under {max_zip} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
